"""The analyst's questions beside the models: training impact (what a course changes) and the
external check of the fit code on O*NET."""
