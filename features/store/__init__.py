"""The store: settings, the database and its migrations, and the reads that turn it into
`Records`. The only I/O of the data layer."""
