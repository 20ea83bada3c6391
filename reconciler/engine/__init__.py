"""The pure core: plan data, the Kind protocol, planner, diff, normalize, graph, references. No I/O."""
