namespace ProtocolSim.Core.Hosting;

/// <summary>
/// A command-line option that a protocol project contributes to <c>protosim</c> (for example <c>--dataflow-proto</c>),
/// so that the CLI declares it without naming the protocol. Its value reaches the project as the setting
/// <see cref="Key"/> (<see cref="FakeHostContext.Settings"/>, and the suite's settings of a run); the project
/// validates it.
/// </summary>
/// <param name="Name">The option as typed, with its dashes: <c>--dataflow-proto</c>.</param>
/// <param name="Description">The help text.</param>
/// <param name="Key">The setting it fills, <c>{system}.{name}</c>: <c>dataflow.proto</c>.</param>
public sealed record ProgramOption(string Name, string Description, string Key);
