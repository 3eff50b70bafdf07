"""A `sitecustomize` that stops a scan subprocess mid-file, for the interruption tests."""

# Loaded by the scan subprocess through PYTHONPATH: after the first stored batch (inside the file's
# transaction) it says so through the marker file, then waits for the test to kill it. A handshake,
# not a pause of some length: the kill lands mid-file however fast or loaded the machine is.
PACER = '''
import os, time
if os.environ.get("TOOLKIT_TEST_PACE"):
    from toolkit.store import writer
    _write = writer.CaptureWriter.write
    def write(self, captures, **options):
        written = _write(self, captures, **options)
        open(os.environ["TOOLKIT_TEST_PACE"], "a").close()
        time.sleep(600)  # the test kills this process now; this only bounds a test that failed first
        return written
    writer.CaptureWriter.write = write
'''
