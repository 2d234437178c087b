using Claims.Core.Claims;
using Claims.Core.Pipeline;

namespace Claims.Core.Tests.Pipeline;

/// <summary>Named states and events for the pipeline tests, each state reached through Decide itself.</summary>
internal static class PipelineFixtures
{
    public const string Intake = "system:intake";
    public const string RulesEngine = "system:rules-engine";
    public const string Submitter = "system:submitter";
    public const string PipelineTimer = "system:pipeline";
    public const string Admin = "key:admin-7f3a";

    public static readonly ClaimId Claim = ClaimId.From(Guid.Parse("0f8fad5b-d9cb-469f-a165-70867728950e"));
    public static readonly DateTimeOffset T0 = new(2026, 3, 2, 9, 0, 0, TimeSpan.Zero);

    /// <summary>Late enough for the first hold's escalation to be due.</summary>
    public static readonly DateTimeOffset Later = T0.AddDays(3);

    public static readonly string[] StateNames =
    [
        "Received", "Evaluating", "Held", "SubmittingInFlight", "SubmittingRetryPending", "Submitted", "Failed", "Cancelled",
        "Accepted", "Rejected",
    ];

    public static readonly string[] EventNames =
    [
        "EvaluationStarted", "RulesPassed", "RulesHeld", "ReleasedOverride", "ReleasedReevaluate", "Cancelled",
        "HoldEscalationDue", "SubmitSucceeded", "SubmitFailed", "RetryDue",
        "Accepted277CA", "Rejected999", "Accepted999", "AcknowledgmentOverdue",
    ];

    public static PipelineState Received() => PipelineState.Start(Claim, T0, Intake);

    public static PipelineState State(string name) => name switch
    {
        "Received" => Received(),
        "Evaluating" => Apply(Received(), new EvaluationStarted(T0.AddSeconds(1), RulesEngine)),
        "Held" => Apply(State("Evaluating"), HoldVerdict(T0.AddSeconds(2))),
        "SubmittingInFlight" => Apply(State("Evaluating"), PassVerdict(T0.AddSeconds(2))),
        "SubmittingRetryPending" => Apply(
            State("SubmittingInFlight"),
            new SubmitFailed(T0.AddSeconds(3), Submitter, 1, SubmitFailureKind.Transient, "http-503")),
        "Submitted" => Apply(State("SubmittingInFlight"), new SubmitSucceeded(T0.AddSeconds(3), Submitter, 1, "CH-100")),
        "Failed" => Apply(
            State("SubmittingInFlight"),
            new SubmitFailed(T0.AddSeconds(3), Submitter, 1, SubmitFailureKind.Permanent, "payer-rejected")),
        "Cancelled" => Apply(State("Held"), new Cancelled(T0.AddSeconds(3), Admin, "duplicate of another claim")),
        "Accepted" => Apply(State("Submitted"), Acknowledgment(T0.AddSeconds(4), "277CA", AcknowledgmentOutcome.Accepted)),
        "Rejected" => Apply(State("Submitted"), Acknowledgment(T0.AddSeconds(4), "999", AcknowledgmentOutcome.Rejected)),
        _ => throw new ArgumentOutOfRangeException(nameof(name), name, "Unknown fixture state."),
    };

    public static PipelineEvent Event(string name) => name switch
    {
        "EvaluationStarted" => new EvaluationStarted(Later, RulesEngine),
        "RulesPassed" => PassVerdict(Later),
        "RulesHeld" => HoldVerdict(Later),
        "ReleasedOverride" => new Released(Later, Admin, ReleaseMode.Override, "payer confirmed by phone"),
        "ReleasedReevaluate" => new Released(Later, Admin, ReleaseMode.Reevaluate, "authorization added"),
        "Cancelled" => new Cancelled(Later, Admin, "entered twice"),
        "HoldEscalationDue" => new HoldEscalationDue(Later, PipelineTimer, 1),
        "SubmitSucceeded" => new SubmitSucceeded(Later, Submitter, 1, "CH-200"),
        "SubmitFailed" => new SubmitFailed(Later, Submitter, 1, SubmitFailureKind.Transient, "timeout"),
        "RetryDue" => new RetryDue(Later, PipelineTimer, 2),
        "Accepted277CA" => Acknowledgment(Later, "277CA", AcknowledgmentOutcome.Accepted),
        "Rejected999" => Acknowledgment(Later, "999", AcknowledgmentOutcome.Rejected),
        "Accepted999" => Acknowledgment(Later, "999", AcknowledgmentOutcome.Accepted),
        "AcknowledgmentOverdue" => new AcknowledgmentOverdue(Later, PipelineTimer, 1),
        _ => throw new ArgumentOutOfRangeException(nameof(name), name, "Unknown fixture event."),
    };

    /// <summary>An acknowledgment of submission <paramref name="submission"/> (codes differ by kind and outcome).</summary>
    public static AcknowledgmentReceived Acknowledgment(DateTimeOffset at, string kind, AcknowledgmentOutcome outcome, int submission = 1) =>
        new(at, "system:acknowledgments", submission, kind, outcome, outcome == AcknowledgmentOutcome.Rejected ? "R:5" : "A", outcome + " by " + kind, kind == "277CA" ? "PAYER-9" : null, "ISA13 17");

    public static RulesEvaluated PassVerdict(DateTimeOffset at) => new(at, RulesEngine, RulesOutcome.Pass, "3");

    public static RulesEvaluated HoldVerdict(DateTimeOffset at, string ruleId = "auth-required", int round = 1) =>
        new(at, RulesEngine, RulesOutcome.Hold, "3", ruleId, "Missing authorization for 97153", round);

    /// <summary>Applies an event that must be a transition and returns the new state.</summary>
    public static PipelineState Apply(PipelineState state, PipelineEvent @event, PipelinePolicy? policy = null)
    {
        var decision = PipelineDecider.Decide(state, @event, policy ?? PipelinePolicy.Default);
        if (decision.Kind != DecisionKind.Transition)
        {
            throw new InvalidOperationException(
                $"Fixture step {@event.GetType().Name} on {state.Status} was {decision.Kind}: {decision.Reason}");
        }

        return decision.State;
    }
}
