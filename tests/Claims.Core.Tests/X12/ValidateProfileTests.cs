using Claims.Core.X12;

namespace Claims.Core.Tests.X12;

/// <summary><see cref="Professional837.ValidateProfile"/>: the profile checks of Validate alone (what the admin API shows at save time).</summary>
public sealed class ValidateProfileTests
{
    [Fact]
    public void ValidateProfile_GoodProfile_NoProblems()
    {
        Assert.Empty(Professional837.ValidateProfile(X12Fixtures.Profile));
    }

    [Fact]
    public void ValidateProfile_BadProfile_SameProfileProblemsAsValidate()
    {
        var profile = X12Fixtures.Profile with { SenderId = "", SubmitterId = "S", ContactPhone = "12", ContactEmail = null, ReceiverName = " " };

        var alone = Professional837.ValidateProfile(profile);
        var withClaim = Professional837.Validate(X12Fixtures.Claim(), profile).Where(p => p.Element.StartsWith("SubmitterProfile.", StringComparison.Ordinal));

        Assert.Equal(
            ["SubmitterProfile.ContactPhone", "SubmitterProfile.ReceiverName", "SubmitterProfile.SenderId", "SubmitterProfile.SubmitterId"],
            alone.Select(p => p.Element).Order().ToArray());
        Assert.Equal(alone, withClaim);
    }
}
