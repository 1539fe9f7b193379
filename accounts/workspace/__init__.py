"""The CSM's workspace (issue 11): the role-aware home of ``/t/<slug>/`` and the per-account columns that
other apps contribute to the CSM's tables (``registry``). accounts owns the page; each app registers what
it knows (support: tickets and SLA; later health bands, tasks, NPS) from its ``AppConfig.ready``."""
