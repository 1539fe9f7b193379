"""The timeline of an account and of a contact (DESIGN.md: accounts owns "CSM tasks and notes, the timeline").

``registry`` holds the interface every source implements and registers with (read its docstring to add a
source); ``sources`` the core sources of accounts; ``selectors`` the merged, paginated read the pages call;
``models``, ``services``, ``forms``, ``access`` and ``views`` the CSM notes and logged touches.
"""
