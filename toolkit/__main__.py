"""`python -m toolkit` runs the command-line interface."""

from toolkit.cli import main

if __name__ == "__main__":
    main()
