using BenchmarkDotNet.Running;

// Runs the benchmarks named by --filter (e.g. --filter '*Rules*'); results land in BenchmarkDotNet.Artifacts/.
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
