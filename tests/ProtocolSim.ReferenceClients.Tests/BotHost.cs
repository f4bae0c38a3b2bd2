using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace ProtocolSim.ReferenceClients.Tests;

/// <summary>A started reference bot whose Error logs fail the test (grpc-dotnet's VerifyNoErrorsScope).</summary>
internal sealed class BotHost : IAsyncDisposable
{
    private readonly ErrorCollector _errors;
    private readonly ILoggerFactory _loggerFactory;

    private BotHost(ReferenceBotServer server, ErrorCollector errors, ILoggerFactory loggerFactory)
    {
        Server = server;
        _errors = errors;
        _loggerFactory = loggerFactory;
    }

    public ReferenceBotServer Server { get; }

    public Uri Url => Server.Url;

    public static async Task<BotHost> StartAsync(string name, ReferenceBotOptions? options = null)
    {
        var errors = new ErrorCollector();
        var loggerFactory = LoggerFactory.Create(b => b.AddProvider(errors).SetMinimumLevel(LogLevel.Information));
        var server = await ReferenceBotServer.StartAsync(name, (options ?? new ReferenceBotOptions()) with { LoggerFactory = loggerFactory });
        return new BotHost(server, errors, loggerFactory);
    }

    /// <summary>Connects a test peer that trusts this bot's certificate.</summary>
    public Task<TestPeer> ConnectAsync(Uri? url = null) => TestPeer.ConnectAsync(url ?? Url, Server.Certificate);

    /// <summary>Connects expecting a failed upgrade; the HTTP status.</summary>
    public Task<int> ConnectExpectingFailureAsync(Uri url) => TestPeer.ConnectExpectingFailureAsync(url, Server.Certificate);

    /// <summary>The bot URL with <c>?sampling_rate=</c>.</summary>
    public Uri UrlWithRate(int rate) => new UriBuilder(Url) { Query = $"sampling_rate={rate}" }.Uri;

    /// <summary>A task that completes when the next call ends.</summary>
    public Task<CallEndedEventArgs> NextCallEnded()
    {
        var tcs = new TaskCompletionSource<CallEndedEventArgs>(TaskCreationOptions.RunContinuationsAsynchronously);
        void Handler(object? sender, CallEndedEventArgs e)
        {
            Server.Runtime.CallEnded -= Handler;
            tcs.TrySetResult(e);
        }

        Server.Runtime.CallEnded += Handler;
        return tcs.Task;
    }

    public async ValueTask DisposeAsync()
    {
        await Server.DisposeAsync();
        _loggerFactory.Dispose();
        Assert.True(_errors.Errors.IsEmpty, "Unexpected error logs: " + string.Join(" | ", _errors.Errors));
    }

    private sealed class ErrorCollector : ILoggerProvider
    {
        public ConcurrentQueue<string> Errors { get; } = new();

        public ILogger CreateLogger(string categoryName) => new Collector(this, categoryName);

        public void Dispose()
        {
        }

        private sealed class Collector(ErrorCollector owner, string category) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state)
                where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Error;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            {
                if (logLevel >= LogLevel.Error)
                {
                    owner.Errors.Enqueue($"{category}: {formatter(state, exception)} {exception}");
                }
            }
        }
    }
}
