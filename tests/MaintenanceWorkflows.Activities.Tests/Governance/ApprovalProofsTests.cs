using MaintenanceWorkflows.Activities.Governance;
using Microsoft.Extensions.Options;

namespace MaintenanceWorkflows.Activities.Tests.Governance;

public class ApprovalProofsTests
{
    private const string Key = "0123456789abcdef0123456789abcdef-test-key";
    private static readonly DateTimeOffset Expires = new(2026, 12, 8, 9, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset Before = Expires - TimeSpan.FromHours(1);

    [Fact]
    public void Verify_CodeIssuedForTheSameClaim_Valid()
    {
        var proofs = Proofs();
        var code = proofs.Issue("maint-a", "run-1", "T-JOSH", "approve", Expires);

        Assert.Matches("^k1-[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}$", code);
        Assert.True(proofs.Verify("maint-a", "run-1", "T-JOSH", "approve", Expires, code, Before).Valid);
        // People retype codes: case and spaces do not matter.
        Assert.True(proofs.Verify("maint-a", "run-1", "t-josh", "approve", Expires, $"  {code.ToLowerInvariant()} ", Before).Valid);
    }

    [Fact]
    public void Issue_EveryCode_HasTheShapeTheWorkflowAcceptsWithoutTheWorker()
    {
        var proofs = Proofs();
        foreach (var person in new[] { "T-JOSH", "ops-lead", "a", new string('p', 64) })
        {
            foreach (var purpose in new[] { "approve", "reject", "confirm", "extend-1", "extend-2" })
            {
                var code = proofs.Issue("maint-a", "run-1", person, purpose, Expires);
                Assert.Null(MaintenanceWorkflows.Workflows.Governance.ProofCodeShape.Problem(code));
                // As people retype it.
                Assert.Null(MaintenanceWorkflows.Workflows.Governance.ProofCodeShape.Problem($" {code.ToLowerInvariant().Replace("-", " - ", StringComparison.Ordinal)} "));
            }
        }
    }

    [Theory]
    [InlineData("k1-FAKE-0001-XXXX-XXXX")]
    [InlineData("k1-ABCD-EFGH-JKLM-NPQ")]
    [InlineData("k1-ABCD-EFGH-JKLM-NPQRS")]
    [InlineData("k1-ABCD-EFGH-JKLM-NPQI")]
    [InlineData("ABCD-EFGH-JKLM-NPQR")]
    [InlineData("-ABCD-EFGH-JKLM-NPQR")]
    [InlineData("k1ABCDEFGHJKLMNPQR")]
    [InlineData("toolongkey-ABCD-EFGH-JKLM-NPQR")]
    [InlineData("k!-ABCD-EFGH-JKLM-NPQR")]
    public void ProofCodeShape_JunkOrMistypedCode_RefusedWithTheExpectedShapeNamed(string code)
    {
        var problem = MaintenanceWorkflows.Workflows.Governance.ProofCodeShape.Problem(code);

        Assert.NotNull(problem);
        Assert.Contains("k1-XXXX-XXXX-XXXX-XXXX", problem, StringComparison.Ordinal);
        Assert.DoesNotContain(code, problem, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("maint-b", "run-1", "T-JOSH", "approve")]
    [InlineData("maint-a", "run-2", "T-JOSH", "approve")]
    [InlineData("maint-a", "run-1", "ops-lead", "approve")]
    [InlineData("maint-a", "run-1", "T-JOSH", "reject")]
    public void Verify_CodeOfAnotherWindowRunPersonOrDecision_RefusedWithoutEchoingIt(string window, string run, string person, string purpose)
    {
        var proofs = Proofs();
        var code = proofs.Issue("maint-a", "run-1", "T-JOSH", "approve", Expires);

        var check = proofs.Verify(window, run, person, purpose, Expires, code, Before);

        Assert.False(check.Valid);
        Assert.Contains("wrong person, decision, window or run", check.Reason, StringComparison.Ordinal);
        Assert.DoesNotContain(code[3..], check.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Verify_AfterExpiryOrWithAnotherExpiry_Refused()
    {
        var proofs = Proofs();
        var code = proofs.Issue("maint-a", "run-1", "T-JOSH", "approve", Expires);

        Assert.Contains("expired", proofs.Verify("maint-a", "run-1", "T-JOSH", "approve", Expires, code, Expires + TimeSpan.FromSeconds(1)).Reason, StringComparison.Ordinal);
        Assert.False(proofs.Verify("maint-a", "run-1", "T-JOSH", "approve", Expires + TimeSpan.FromDays(7), code, Before).Valid);
    }

    [Theory]
    [InlineData(null, "no proof code")]
    [InlineData("", "no proof code")]
    [InlineData("ABCDEFGH", "malformed")]
    [InlineData("k9-AAAA-AAAA-AAAA-AAAA", "key 'k9'")]
    [InlineData("k1-AAAA-AAAA-AAAA-AAAA", "not T-JOSH's approve code")]
    public void Verify_MissingMalformedForeignOrGuessedCode_RefusedWithReason(string? code, string reason)
    {
        var check = Proofs().Verify("maint-a", "run-1", "T-JOSH", "approve", Expires, code, Before);

        Assert.False(check.Valid);
        Assert.Contains(reason, check.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Verify_AfterRotation_OldCodesStillValidNewCodesUseTheNewKey()
    {
        var old = Proofs();
        var issuedBefore = old.Issue("maint-a", "run-1", "T-JOSH", "approve", Expires);
        var rotated = new ApprovalProofs(Options.Create(new ApprovalOptions
        {
            SigningKey = "another-key-another-key-another-key-123",
            SigningKeyId = "k2",
            PreviousKeys = new(StringComparer.OrdinalIgnoreCase) { ["k1"] = Key },
        }));
        var issuedAfter = rotated.Issue("maint-a", "run-1", "T-JOSH", "approve", Expires);

        Assert.True(rotated.Verify("maint-a", "run-1", "T-JOSH", "approve", Expires, issuedBefore, Before).Valid);
        Assert.StartsWith("k2-", issuedAfter, StringComparison.Ordinal);
        Assert.True(rotated.Verify("maint-a", "run-1", "T-JOSH", "approve", Expires, issuedAfter, Before).Valid);
        // Once the old key is dropped, its codes stop working, with a reason that says why.
        Assert.Contains("does not hold", Proofs("k2", "another-key-another-key-another-key-123").Verify("maint-a", "run-1", "T-JOSH", "approve", Expires, issuedBefore, Before).Reason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(null, "k1", "Approvals:SigningKey is not set")]
    [InlineData("short", "k1", "use at least 32")]
    [InlineData(Key, "Key One", "Approvals:SigningKeyId 'Key One'")]
    public void Validator_MissingShortOrBadKey_NamesTheSettingWithoutPrintingTheKey(string? key, string id, string message)
    {
        var result = new ApprovalOptionsValidator().Validate(null, new ApprovalOptions { SigningKey = key, SigningKeyId = id });

        Assert.True(result.Failed);
        Assert.Contains(message, result.FailureMessage, StringComparison.Ordinal);
        Assert.DoesNotContain(Key, result.FailureMessage, StringComparison.Ordinal);
    }

    [Fact]
    public void Validator_PreviousKeyWithTheCurrentId_Refused()
    {
        var result = new ApprovalOptionsValidator().Validate(null, new ApprovalOptions
        {
            SigningKey = Key,
            PreviousKeys = new(StringComparer.OrdinalIgnoreCase) { ["k1"] = Key },
        });

        Assert.Contains("Approvals:PreviousKeys:k1 has the id of the current key", result.FailureMessage, StringComparison.Ordinal);
    }

    private static ApprovalProofs Proofs(string id = "k1", string key = Key) =>
        new(Options.Create(new ApprovalOptions { SigningKey = key, SigningKeyId = id }));
}
