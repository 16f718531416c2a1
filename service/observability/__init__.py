"""What an operator watches: Prometheus metrics (`metrics`) and JSON logs with a request id
(`logs`)."""
