"""Team work on the library: call metadata (agents), dashboard data, review queue, threshold what-if, speech-data quality, batch summaries."""
