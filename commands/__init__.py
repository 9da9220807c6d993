"""The project's commands, each run as `python -m commands.<name>` from the project folder (make targets call them)."""
