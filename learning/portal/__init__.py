"""The learner portal (issue 13): pages for contacts, not staff, under ``/learn/``. A contact signs in with a
magic link (learning.links), gets a learner session of its own (learning.portal.sessions) and sees only its
own enrollments; certificates are verified publicly at ``/certificates/<code>/``."""
