"""QA peer reviews: rubrics, the sampling queue, reviews and calibration."""
