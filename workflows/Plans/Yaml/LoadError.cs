namespace MaintenanceWorkflows.Workflows.Plans;

/// <summary>A schema problem in a YAML file: where it is (file, 1-based line and column, field path) and what was expected.</summary>
public sealed record LoadError
{
    public required string File { get; init; }

    public required int Line { get; init; }

    public required int Column { get; init; }

    /// <summary>Field path, e.g. steps[1].rollback.command; empty for syntax errors.</summary>
    public required string Path { get; init; }

    public required string Message { get; init; }

    public override string ToString() =>
        string.IsNullOrEmpty(Path) ? $"{File}:{Line}:{Column}: {Message}" : $"{File}:{Line}:{Column}: {Path}: {Message}";
}

/// <summary>Thrown when a plan or policy file does not match the schema; carries every error found.</summary>
public sealed class PlanLoadException : Exception
{
    public PlanLoadException()
        : this([])
    {
    }

    public PlanLoadException(string message)
        : base(message)
    {
        Errors = [];
    }

    public PlanLoadException(string message, Exception innerException)
        : base(message, innerException)
    {
        Errors = [];
    }

    public PlanLoadException(IReadOnlyList<LoadError> errors)
        : base(errors.Count == 1 ? errors[0].ToString() : $"{errors.Count} problems:{Environment.NewLine}{string.Join(Environment.NewLine, errors)}")
    {
        Errors = errors;
    }

    public IReadOnlyList<LoadError> Errors { get; }
}

/// <summary>Either a value or the errors that prevented it.</summary>
public sealed record LoadResult<T>
    where T : class
{
    public T? Value { get; init; }

    public IReadOnlyList<LoadError> Errors { get; init; } = [];

    public bool Succeeded => Value is not null && Errors.Count == 0;

    public T GetValueOrThrow() => Succeeded ? Value! : throw new PlanLoadException(Errors);
}
