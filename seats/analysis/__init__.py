"""Research tools: seat margins, scenarios, Monte Carlo, indices, plots."""
