"""Team work on the library: call metadata (agents), dashboard data, review queue, threshold what-if,
speech-data quality and batch summaries. Plain data for the CLI, the PDF reports and the window."""
