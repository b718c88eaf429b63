"""Demo data: ``keel demo`` fills an empty database with a believable service desk."""
