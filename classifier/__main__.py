"""``python -m classifier`` runs the ficrate CLI."""

from classifier.cli import run

if __name__ == "__main__":
    run()
