#!/usr/bin/env python
import os
import sys

if __name__ == "__main__":
    # The checkout's .env (written by `make run`): DEBUG, SECRET_KEY, the database it used (cs_platform.localenv).
    from cs_platform.localenv import load

    load()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cs_platform.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)
