"""Live state: the MetaStudio API client (auth, retries, paging) and how to reach a target."""
