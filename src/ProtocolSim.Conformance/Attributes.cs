namespace ProtocolSim.Conformance;

/// <summary>Marks a class whose methods are step definitions or hooks (same name as Reqnroll's, so steps can move there unchanged).</summary>
[AttributeUsage(AttributeTargets.Class, Inherited = true, AllowMultiple = false)]
public sealed class BindingAttribute : Attribute
{
}

/// <summary>Which Gherkin keyword a step definition answers to.</summary>
public enum StepKeyword
{
    /// <summary>Given (and And/But following a Given).</summary>
    Given,

    /// <summary>When (and And/But following a When).</summary>
    When,

    /// <summary>Then (and And/But following a Then).</summary>
    Then,
}

/// <summary>
/// Base of the step definition attributes. The expression is a Cucumber expression unless it starts with <c>^</c>
/// or ends with <c>$</c>, in which case it is a regular expression matched against the whole step text.
/// </summary>
[AttributeUsage(AttributeTargets.Method, Inherited = true, AllowMultiple = true)]
public abstract class StepDefinitionBaseAttribute : Attribute
{
    private protected StepDefinitionBaseAttribute(string expression, StepKeyword? keyword)
    {
        ArgumentNullException.ThrowIfNull(expression);
        Expression = expression;
        Keyword = keyword;
    }

    /// <summary>The Cucumber expression or regular expression the step text must match.</summary>
    public string Expression { get; }

    /// <summary>The keyword this definition answers to; <c>null</c> for any keyword.</summary>
    public StepKeyword? Keyword { get; }
}

/// <summary>A step definition for Given steps.</summary>
[AttributeUsage(AttributeTargets.Method, Inherited = true, AllowMultiple = true)]
public sealed class GivenAttribute(string expression) : StepDefinitionBaseAttribute(expression, StepKeyword.Given);

/// <summary>A step definition for When steps.</summary>
[AttributeUsage(AttributeTargets.Method, Inherited = true, AllowMultiple = true)]
public sealed class WhenAttribute(string expression) : StepDefinitionBaseAttribute(expression, StepKeyword.When);

/// <summary>A step definition for Then steps.</summary>
[AttributeUsage(AttributeTargets.Method, Inherited = true, AllowMultiple = true)]
public sealed class ThenAttribute(string expression) : StepDefinitionBaseAttribute(expression, StepKeyword.Then);

/// <summary>A step definition that answers to any keyword.</summary>
[AttributeUsage(AttributeTargets.Method, Inherited = true, AllowMultiple = true)]
public sealed class StepDefinitionAttribute(string expression) : StepDefinitionBaseAttribute(expression, null);

/// <summary>Base of the scenario hooks. With tags, the hook runs only for scenarios that carry at least one of them.</summary>
[AttributeUsage(AttributeTargets.Method, Inherited = true, AllowMultiple = false)]
public abstract class HookAttribute : Attribute
{
    private protected HookAttribute(string[] tags)
    {
        Tags = tags ?? [];
    }

    /// <summary>Tags restricting the hook (with or without <c>@</c>); empty for every scenario.</summary>
    public IReadOnlyList<string> Tags { get; }

    /// <summary>Lower runs first; hooks of equal order run in binding-type and method-name order.</summary>
    public int Order { get; set; } = 10000;
}

/// <summary>Runs before the first step (including Background steps) of each scenario.</summary>
[AttributeUsage(AttributeTargets.Method, Inherited = true, AllowMultiple = false)]
public sealed class BeforeScenarioAttribute(params string[] tags) : HookAttribute(tags);

/// <summary>Runs after each scenario, whatever its outcome, before the scenario's objects are disposed.</summary>
[AttributeUsage(AttributeTargets.Method, Inherited = true, AllowMultiple = false)]
public sealed class AfterScenarioAttribute(params string[] tags) : HookAttribute(tags);
