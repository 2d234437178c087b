using System.Text.Json;
using Claims.Core.Pipeline;
using static Claims.Core.Tests.Pipeline.PipelineFixtures;

namespace Claims.Core.Tests.Pipeline;

public sealed class PipelineJsonTests
{
    public static TheoryData<string> StateNamesData() => new(StateNames);

    [Theory]
    [MemberData(nameof(StateNamesData))]
    public void DeserializeState_SerializedState_RoundTripsEqual(string stateName)
    {
        var state = State(stateName);

        var json = PipelineJson.Serialize(state);
        var back = PipelineJson.DeserializeState(json);

        Assert.Equal(state, back);
        Assert.Equal(json, PipelineJson.Serialize(back));
    }

    [Fact]
    public void DeserializeState_EscalatedHoldWithPendingFields_RoundTripsEveryField()
    {
        var state = PipelineDecider.Decide(State("Held"), new HoldEscalationDue(Later, PipelineTimer, 1)).State with
        {
            Retry = new PendingRetry(3, Later.AddMinutes(2)),
            SubmissionReference = "CH-1",
            FailureReason = "Transient:timeout",
            HistoryDropped = 4,
        };

        var back = PipelineJson.DeserializeState(PipelineJson.Serialize(state));

        Assert.Equal(state, back);
        Assert.True(back.Hold!.Escalated);
        Assert.Equal(state.Hold!.HeldAt.Offset, back.Hold.HeldAt.Offset);
    }

    [Fact]
    public void Serialize_State_WritesCamelCaseEnumNamesAndClaimIdString()
    {
        using var json = JsonDocument.Parse(PipelineJson.Serialize(State("Held")));
        var root = json.RootElement;

        Assert.Equal("Held", root.GetProperty("status").GetString());
        Assert.Equal(Claim.Value, root.GetProperty("claim").GetString());
        Assert.Equal("auth-required", root.GetProperty("hold").GetProperty("ruleId").GetString());
        Assert.Equal(PipelineCauses.RulesHeld, root.GetProperty("history")[2].GetProperty("cause").GetString());
        Assert.Equal(JsonValueKind.Null, root.GetProperty("submissionReference").ValueKind);
    }

    [Theory]
    [InlineData("{\"claim\":\"not-a-claim\",\"status\":\"Held\"}")]
    [InlineData("{\"status\":\"Held\"}")]
    [InlineData("{\"claim\":\"0f8fad5bd9cb469fa16570867728950e\",\"status\":\"Paused\"}")]
    [InlineData("null")]
    [InlineData("[]")]
    public void DeserializeState_NotAState_ThrowsJsonException(string json)
    {
        Assert.Throws<JsonException>(() => PipelineJson.DeserializeState(json));
    }

    [Fact]
    public void Serialize_WorstCaseHistory_StaysUnderTableStringLimit()
    {
        var state = State("Held");
        var entry = new PipelineHistoryEntry(
            Later, PipelineStatus.Held, PipelineStatus.Evaluating, PipelineCauses.ReleasedReevaluate, new string('k', 64), new string('d', 120));
        state = state with { History = [.. Enumerable.Repeat(entry, PipelinePolicy.Default.MaxHistoryEntries)] };

        var json = PipelineJson.Serialize(state);

        // Table string properties hold at most 64 KiB of UTF-16, i.e. 32,768 characters.
        Assert.InRange(json.Length, 1, 32 * 1024);
    }
}
