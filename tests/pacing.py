"""A `sitecustomize` that paces a scan subprocess, for the interruption tests."""

# Loaded by the scan subprocess through PYTHONPATH: it paces the real pipeline (a pause after each
# stored batch, inside the file's transaction) and says when the first batch is in, so the kill
# lands mid-file however fast the machine is.
PACER = '''
import os, time
if os.environ.get("TOOLKIT_TEST_PACE"):
    from toolkit.store import writer
    _write = writer.CaptureWriter.write
    def write(self, captures, **options):
        written = _write(self, captures, **options)
        open(os.environ["TOOLKIT_TEST_PACE"], "a").close()
        time.sleep(0.2)
        return written
    writer.CaptureWriter.write = write
'''
