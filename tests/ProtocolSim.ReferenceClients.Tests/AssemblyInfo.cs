// Most tests wait on real-time audio (a greeting plays for 2 s), not on the CPU: run more of them at once.
[assembly: CollectionBehavior(MaxParallelThreads = 6)]
