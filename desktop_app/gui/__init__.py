"""The window (PySide6): a thin client of ``desktop_app.service.AppService``.

All blocking work goes through ``jobs.JobRunner`` (qasync's executor), never the GUI thread.
"""
