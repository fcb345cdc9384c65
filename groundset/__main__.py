"""``python -m groundset``: the same CLI as the ``groundset`` command."""

from groundset.cli import main

if __name__ == "__main__":
    main()
