"""Rules from regulation: eligibility for a post (PermenPANRB, PP 11/2017 and successors) and
competency fit to a standard (PermenPANRB 38/2017). Pure functions over point-in-time facts."""
