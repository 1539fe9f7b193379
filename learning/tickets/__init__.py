"""Support to learning (issue 13): a ticket answered with a knowledge-base article that a published path
covers enrolls its contact or recommends the path in the reply (``LearningPath.support_action``)."""
