"""PDF reports made with matplotlib (Agg, no Qt): the call scorecard and the agent dashboard."""
