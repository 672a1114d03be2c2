namespace Gateway;

/// <summary>
/// Counts work a background service has accepted and not finished, so a caller can wait until it is all done.
/// Tests wait on it before asserting that something did not happen ("no mail was sent"): a fixed sleep would let a
/// slower regression pass.
/// </summary>
internal sealed class BackgroundWork
{
    private readonly Lock gate = new();
    private long busy;
    private TaskCompletionSource? idle;

    public void Begin(long units = 1)
    {
        lock (gate)
        {
            busy += units;
        }
    }

    public void End(long units = 1)
    {
        TaskCompletionSource? done = null;
        lock (gate)
        {
            busy -= units;
            if (busy == 0)
            {
                (done, idle) = (idle, null);
            }
        }

        done?.TrySetResult();
    }

    /// <summary>Completes when nothing accepted is still in progress (at once if nothing is).</summary>
    public Task WhenIdleAsync()
    {
        lock (gate)
        {
            if (busy == 0)
            {
                return Task.CompletedTask;
            }

            idle ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            return idle.Task;
        }
    }
}
