using System.Globalization;
using System.Text;
using MaintenanceWorkflows.DevServer.Grpc;
using Temporalio.Api.Enums.V1;

namespace MaintenanceWorkflows.DevServer.Visibility;

/// <summary>
/// A parsed list filter (Temporal's visibility query language): a WHERE part over system and custom
/// search attributes, then optional GROUP BY and ORDER BY. Names and literals are checked against the
/// namespace's registered types while parsing, so a bad query fails before anything runs.
/// </summary>
public sealed class ListQuery
{
    private ListQuery(Filter? where, IReadOnlyList<OrderKey> orderBy, string? groupBy)
    {
        Where = where;
        OrderBy = orderBy;
        GroupBy = groupBy;
    }

    /// <summary>Null when the query has no condition (every execution matches).</summary>
    public Filter? Where { get; }

    /// <summary>Empty for the default order.</summary>
    public IReadOnlyList<OrderKey> OrderBy { get; }

    public string? GroupBy { get; }

    public bool Matches(Func<string, object?> valueOf) => Where?.Matches(valueOf) ?? true;

    /// <summary>Parses <paramref name="text"/>; throws InvalidArgument naming the problem and where it is.</summary>
    public static ListQuery Parse(string? text, SearchAttributeRegistry registry)
    {
        ArgumentNullException.ThrowIfNull(registry);
        return new Parser(text ?? string.Empty, registry).ParseQuery();
    }

    /// <summary>The canonical ExecutionStatus names queries use ('Running', 'Completed', ...).</summary>
    public static string StatusName(WorkflowExecutionStatus status) => status.ToString();

    public sealed record OrderKey(string Field, bool Descending);

    /// <summary>A condition over an execution's attribute values (looked up by name; null when absent).</summary>
    public abstract class Filter
    {
        public abstract bool Matches(Func<string, object?> valueOf);
    }

    private sealed class AndFilter(Filter left, Filter right) : Filter
    {
        public override bool Matches(Func<string, object?> valueOf) => left.Matches(valueOf) && right.Matches(valueOf);
    }

    private sealed class OrFilter(Filter left, Filter right) : Filter
    {
        public override bool Matches(Func<string, object?> valueOf) => left.Matches(valueOf) || right.Matches(valueOf);
    }

    private sealed class NotFilter(Filter inner) : Filter
    {
        public override bool Matches(Func<string, object?> valueOf) => !inner.Matches(valueOf);
    }

    private sealed class CompareFilter(string field, string op, object literal) : Filter
    {
        public override bool Matches(Func<string, object?> valueOf)
        {
            var value = valueOf(field);
            if (value == null)
            {
                return false;
            }
            if (value is IReadOnlyList<string> list)
            {
                var contains = list.Contains((string)literal, StringComparer.Ordinal);
                return op == "=" ? contains : !contains;
            }
            var order = CompareValues(value, literal);
            return op switch
            {
                "=" => order == 0,
                "!=" => order != 0,
                "<" => order < 0,
                "<=" => order <= 0,
                ">" => order > 0,
                ">=" => order >= 0,
                _ => throw new InvalidOperationException($"operator {op} was accepted by the parser but has no meaning"),
            };
        }
    }

    private sealed class InFilter(string field, IReadOnlyList<object> literals) : Filter
    {
        public override bool Matches(Func<string, object?> valueOf) => valueOf(field) switch
        {
            null => false,
            IReadOnlyList<string> list => list.Any(v => literals.Contains(v)),
            var value => literals.Any(l => CompareValues(value, l) == 0),
        };
    }

    private sealed class BetweenFilter(string field, object low, object high) : Filter
    {
        public override bool Matches(Func<string, object?> valueOf) =>
            valueOf(field) is { } value && CompareValues(value, low) >= 0 && CompareValues(value, high) <= 0;
    }

    private sealed class StartsWithFilter(string field, string prefix) : Filter
    {
        public override bool Matches(Func<string, object?> valueOf) => valueOf(field) switch
        {
            string s => s.StartsWith(prefix, StringComparison.Ordinal),
            IReadOnlyList<string> list => list.Any(s => s.StartsWith(prefix, StringComparison.Ordinal)),
            _ => false,
        };
    }

    private sealed class IsNullFilter(string field) : Filter
    {
        public override bool Matches(Func<string, object?> valueOf) => valueOf(field) is null or IReadOnlyList<string> { Count: 0 };
    }

    /// <summary>Text matches like a full-text search: every word of the literal occurs in the value, ignoring case.</summary>
    private sealed class TextMatchFilter(string field, string literal, bool negated) : Filter
    {
        private readonly string[] words = literal.Split(' ', StringSplitOptions.RemoveEmptyEntries);

        public override bool Matches(Func<string, object?> valueOf)
        {
            if (valueOf(field) is not string text)
            {
                return false;
            }
            var all = words.All(w => text.Contains(w, StringComparison.OrdinalIgnoreCase));
            return negated ? !all : all;
        }
    }

    /// <summary>Orders two values of one attribute type (numbers compare across Int and Double).</summary>
    public static int CompareValues(object a, object b) => (a, b) switch
    {
        (string x, string y) => string.CompareOrdinal(x, y),
        (long x, long y) => x.CompareTo(y),
        (long x, double y) => ((double)x).CompareTo(y),
        (double x, long y) => x.CompareTo(y),
        (double x, double y) => x.CompareTo(y),
        (bool x, bool y) => x.CompareTo(y),
        (DateTime x, DateTime y) => x.CompareTo(y),
        _ => throw new InvalidOperationException($"cannot compare {a.GetType().Name} with {b.GetType().Name}"),
    };

    private enum TokenKind
    {
        Identifier,
        String,
        Number,
        Operator,
        LeftParen,
        RightParen,
        Comma,
        End,
    }

    private readonly record struct Token(TokenKind Kind, string Text, int Position)
    {
        public bool IsKeyword(string keyword) => Kind == TokenKind.Identifier && string.Equals(Text, keyword, StringComparison.OrdinalIgnoreCase);
    }

    private sealed class Parser
    {
        private static readonly HashSet<string> Reserved = new(StringComparer.OrdinalIgnoreCase)
        {
            "AND", "OR", "NOT", "IN", "BETWEEN", "IS", "NULL", "STARTS_WITH", "ORDER", "GROUP", "BY", "ASC", "DESC",
        };

        private readonly string text;
        private readonly SearchAttributeRegistry registry;
        private readonly List<Token> tokens;
        private int next;

        public Parser(string text, SearchAttributeRegistry registry)
        {
            this.text = text;
            this.registry = registry;
            tokens = Tokenize(text);
        }

        private Token Current => tokens[next];

        public ListQuery ParseQuery()
        {
            Filter? where = null;
            if (Current.Kind != TokenKind.End && !Current.IsKeyword("ORDER") && !Current.IsKeyword("GROUP"))
            {
                where = ParseOr();
            }
            string? groupBy = null;
            if (Current.IsKeyword("GROUP"))
            {
                next++;
                ExpectKeyword("BY");
                var field = ExpectIdentifier("an attribute name after GROUP BY");
                if (field.Text != "ExecutionStatus")
                {
                    throw Error(field, "GROUP BY supports only ExecutionStatus");
                }
                groupBy = field.Text;
            }
            var orderBy = new List<OrderKey>();
            if (Current.IsKeyword("ORDER"))
            {
                next++;
                ExpectKeyword("BY");
                do
                {
                    var field = ExpectIdentifier("an attribute name after ORDER BY");
                    var type = TypeOf(field);
                    if (type is IndexedValueType.Text or IndexedValueType.KeywordList)
                    {
                        throw Error(field, $"cannot ORDER BY '{field.Text}': {type} attributes are not sortable");
                    }
                    var descending = false;
                    if (Current.IsKeyword("DESC") || Current.IsKeyword("ASC"))
                    {
                        descending = Current.IsKeyword("DESC");
                        next++;
                    }
                    orderBy.Add(new OrderKey(field.Text, descending));
                }
                while (TryConsume(TokenKind.Comma));
            }
            if (Current.Kind != TokenKind.End)
            {
                throw Error(Current, "unexpected text; expected AND, OR, GROUP BY, ORDER BY or the end of the query");
            }
            return new ListQuery(where, orderBy, groupBy);
        }

        private Filter ParseOr()
        {
            var left = ParseAnd();
            while (Current.IsKeyword("OR"))
            {
                next++;
                left = new OrFilter(left, ParseAnd());
            }
            return left;
        }

        private Filter ParseAnd()
        {
            var left = ParseNot();
            while (Current.IsKeyword("AND"))
            {
                next++;
                left = new AndFilter(left, ParseNot());
            }
            return left;
        }

        private Filter ParseNot()
        {
            if (Current.IsKeyword("NOT"))
            {
                next++;
                return new NotFilter(ParseNot());
            }
            if (TryConsume(TokenKind.LeftParen))
            {
                var inner = ParseOr();
                Expect(TokenKind.RightParen, "')' to close the parenthesis");
                return inner;
            }
            return ParseCondition();
        }

        private Filter ParseCondition()
        {
            var field = ExpectIdentifier("an attribute name");
            var type = TypeOf(field);
            var op = Current;
            if (op.Kind == TokenKind.Operator)
            {
                next++;
                var normalized = op.Text == "<>" ? "!=" : op.Text;
                var literal = ParseLiteral(field, type);
                if (type == IndexedValueType.KeywordList && normalized is not ("=" or "!="))
                {
                    throw Error(op, $"'{field.Text}' is a KeywordList: use =, !=, IN, NOT IN, STARTS_WITH or IS NULL");
                }
                if (type == IndexedValueType.Text)
                {
                    return normalized switch
                    {
                        "=" => new TextMatchFilter(field.Text, (string)literal, negated: false),
                        "!=" => new TextMatchFilter(field.Text, (string)literal, negated: true),
                        _ => throw Error(op, $"'{field.Text}' is a Text attribute: use = or != (full-text match)"),
                    };
                }
                return new CompareFilter(field.Text, normalized, literal);
            }
            var negated = false;
            if (Current.IsKeyword("NOT"))
            {
                negated = true;
                next++;
                if (!Current.IsKeyword("IN") && !Current.IsKeyword("BETWEEN"))
                {
                    throw Error(Current, "expected IN or BETWEEN after NOT");
                }
            }
            if (Current.IsKeyword("IN"))
            {
                next++;
                if (type == IndexedValueType.Text)
                {
                    throw Error(field, $"'{field.Text}' is a Text attribute: IN is not supported, use =");
                }
                Expect(TokenKind.LeftParen, "'(' to open the IN list");
                var values = new List<object>();
                do
                {
                    values.Add(ParseLiteral(field, type));
                }
                while (TryConsume(TokenKind.Comma));
                Expect(TokenKind.RightParen, "')' to close the IN list");
                Filter filter = new InFilter(field.Text, values);
                return negated ? new NotFilter(filter) : filter;
            }
            if (Current.IsKeyword("BETWEEN"))
            {
                next++;
                if (type is IndexedValueType.Text or IndexedValueType.KeywordList)
                {
                    throw Error(field, $"'{field.Text}' is a {type} attribute: BETWEEN needs a Keyword, Int, Double, Bool or Datetime attribute");
                }
                var low = ParseLiteral(field, type);
                ExpectKeyword("AND");
                var high = ParseLiteral(field, type);
                Filter filter = new BetweenFilter(field.Text, low, high);
                return negated ? new NotFilter(filter) : filter;
            }
            if (Current.IsKeyword("STARTS_WITH"))
            {
                next++;
                if (type is not (IndexedValueType.Keyword or IndexedValueType.KeywordList))
                {
                    throw Error(field, $"'{field.Text}' is a {type} attribute: STARTS_WITH needs a Keyword or KeywordList attribute");
                }
                return new StartsWithFilter(field.Text, (string)ParseLiteral(field, type));
            }
            if (Current.IsKeyword("IS"))
            {
                next++;
                var isNot = false;
                if (Current.IsKeyword("NOT"))
                {
                    isNot = true;
                    next++;
                }
                ExpectKeyword("NULL");
                Filter filter = new IsNullFilter(field.Text);
                return isNot ? new NotFilter(filter) : filter;
            }
            throw Error(Current, $"expected an operator after '{field.Text}' (= != < > <= >=, IN, NOT IN, BETWEEN, STARTS_WITH, IS NULL)");
        }

        /// <summary>A literal converted to the attribute's type, so evaluation compares like with like.</summary>
        private object ParseLiteral(Token field, IndexedValueType type)
        {
            var literal = Current;
            if (literal.Kind is not (TokenKind.String or TokenKind.Number or TokenKind.Identifier) ||
                (literal.Kind == TokenKind.Identifier && Reserved.Contains(literal.Text)))
            {
                throw Error(literal, $"expected a value to compare '{field.Text}' with");
            }
            next++;
            if (field.Text == "ExecutionStatus")
            {
                return ParseStatus(literal);
            }
            switch (type)
            {
                case IndexedValueType.Keyword:
                case IndexedValueType.Text:
                case IndexedValueType.KeywordList:
                    return literal.Kind == TokenKind.String
                        ? literal.Text
                        : throw Error(literal, $"'{field.Text}' is a {type} attribute: quote the value, e.g. {field.Text} = '{literal.Text}'");
                case IndexedValueType.Int:
                    return literal.Kind != TokenKind.Identifier &&
                        long.TryParse(literal.Text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var i)
                        ? i
                        : throw Error(literal, $"'{field.Text}' is an Int attribute: compare it with a whole number");
                case IndexedValueType.Double:
                    return literal.Kind != TokenKind.Identifier &&
                        double.TryParse(literal.Text, NumberStyles.Float, CultureInfo.InvariantCulture, out var d)
                        ? d
                        : throw Error(literal, $"'{field.Text}' is a Double attribute: compare it with a number");
                case IndexedValueType.Bool:
                    return bool.TryParse(literal.Text, out var b)
                        ? b
                        : throw Error(literal, $"'{field.Text}' is a Bool attribute: compare it with true or false");
                case IndexedValueType.Datetime:
                    if (literal.Kind == TokenKind.String && SearchAttributeRegistry.TryParseTime(literal.Text, out var time))
                    {
                        return time;
                    }
                    if (literal.Kind == TokenKind.Number &&
                        long.TryParse(literal.Text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var nanos))
                    {
                        return DateTime.UnixEpoch.AddTicks(nanos / 100);
                    }
                    throw Error(literal, $"'{field.Text}' is a Datetime attribute: compare it with a quoted RFC 3339 time, e.g. '2025-01-31T08:00:00Z'");
                default:
                    throw Error(field, $"'{field.Text}' has type {type}, which queries do not support");
            }
        }

        private string ParseStatus(Token literal)
        {
            var names = Enum.GetValues<WorkflowExecutionStatus>().Where(s => s != WorkflowExecutionStatus.Unspecified).ToList();
            var match = literal.Kind == TokenKind.Number
                ? names.FirstOrDefault(s => ((int)s).ToString(CultureInfo.InvariantCulture) == literal.Text)
                : names.FirstOrDefault(s => string.Equals(StatusName(s), literal.Text, StringComparison.OrdinalIgnoreCase));
            return match != WorkflowExecutionStatus.Unspecified
                ? StatusName(match)
                : throw Error(literal, $"'{literal.Text}' is not an ExecutionStatus; use one of {string.Join(", ", names.Select(n => $"'{StatusName(n)}'"))}");
        }

        private IndexedValueType TypeOf(Token field) =>
            registry.TypeOf(field.Text) ?? throw Error(
                field,
                $"unknown search attribute '{field.Text}': it is neither a system attribute nor registered in namespace '{registry.Namespace}'");

        private Token ExpectIdentifier(string what)
        {
            var token = Current;
            if (token.Kind != TokenKind.Identifier || Reserved.Contains(token.Text))
            {
                throw Error(token, $"expected {what}");
            }
            next++;
            return token;
        }

        private void ExpectKeyword(string keyword)
        {
            if (!Current.IsKeyword(keyword))
            {
                throw Error(Current, $"expected {keyword}");
            }
            next++;
        }

        private void Expect(TokenKind kind, string what)
        {
            if (Current.Kind != kind)
            {
                throw Error(Current, $"expected {what}");
            }
            next++;
        }

        private bool TryConsume(TokenKind kind)
        {
            if (Current.Kind != kind)
            {
                return false;
            }
            next++;
            return true;
        }

        private GrpcException Error(Token at, string problem)
        {
            var near = at.Kind == TokenKind.End ? "at the end of the query" : $"at position {at.Position + 1} near '{Excerpt(at.Position)}'";
            return GrpcException.InvalidArgument($"invalid query: {problem} ({near}); query was: {text}");
        }

        private string Excerpt(int position) =>
            text.Length - position > 20 ? text.Substring(position, 20) + "..." : text[position..];

        private static List<Token> Tokenize(string text)
        {
            var tokens = new List<Token>();
            var i = 0;
            while (i < text.Length)
            {
                var c = text[i];
                if (char.IsWhiteSpace(c))
                {
                    i++;
                    continue;
                }
                var start = i;
                if (c is '\'' or '"')
                {
                    var value = new StringBuilder();
                    i++;
                    while (true)
                    {
                        if (i >= text.Length)
                        {
                            throw GrpcException.InvalidArgument(
                                $"invalid query: the string starting at position {start + 1} is not closed with {c}; query was: {text}");
                        }
                        if (text[i] == '\\' && i + 1 < text.Length)
                        {
                            value.Append(text[i + 1]);
                            i += 2;
                        }
                        else if (text[i] == c && i + 1 < text.Length && text[i + 1] == c)
                        {
                            value.Append(c);
                            i += 2;
                        }
                        else if (text[i] == c)
                        {
                            i++;
                            break;
                        }
                        else
                        {
                            value.Append(text[i++]);
                        }
                    }
                    tokens.Add(new Token(TokenKind.String, value.ToString(), start));
                }
                else if (c == '`')
                {
                    var close = text.IndexOf('`', i + 1);
                    if (close < 0)
                    {
                        throw GrpcException.InvalidArgument(
                            $"invalid query: the name quoted at position {start + 1} is not closed with `; query was: {text}");
                    }
                    tokens.Add(new Token(TokenKind.Identifier, text[(i + 1)..close], start));
                    i = close + 1;
                }
                else if (char.IsLetter(c) || c == '_')
                {
                    while (i < text.Length && (char.IsLetterOrDigit(text[i]) || text[i] == '_'))
                    {
                        i++;
                    }
                    tokens.Add(new Token(TokenKind.Identifier, text[start..i], start));
                }
                else if (char.IsDigit(c) || ((c == '-' || c == '.') && i + 1 < text.Length && char.IsDigit(text[i + 1])))
                {
                    i++;
                    while (i < text.Length && (char.IsDigit(text[i]) || text[i] is '.' or 'e' or 'E' ||
                        (text[i] is '-' or '+' && text[i - 1] is 'e' or 'E')))
                    {
                        i++;
                    }
                    tokens.Add(new Token(TokenKind.Number, text[start..i], start));
                }
                else if (c is '=' or '<' or '>' or '!')
                {
                    var two = i + 1 < text.Length ? text.Substring(i, 2) : string.Empty;
                    if (two is "<=" or ">=" or "!=" or "<>")
                    {
                        tokens.Add(new Token(TokenKind.Operator, two, start));
                        i += 2;
                    }
                    else if (c != '!')
                    {
                        tokens.Add(new Token(TokenKind.Operator, c.ToString(), start));
                        i++;
                    }
                    else
                    {
                        throw GrpcException.InvalidArgument($"invalid query: '!' at position {start + 1} must be followed by '='; query was: {text}");
                    }
                }
                else if (c == '(')
                {
                    tokens.Add(new Token(TokenKind.LeftParen, "(", i++));
                }
                else if (c == ')')
                {
                    tokens.Add(new Token(TokenKind.RightParen, ")", i++));
                }
                else if (c == ',')
                {
                    tokens.Add(new Token(TokenKind.Comma, ",", i++));
                }
                else
                {
                    throw GrpcException.InvalidArgument($"invalid query: unexpected character '{c}' at position {start + 1}; query was: {text}");
                }
            }
            tokens.Add(new Token(TokenKind.End, string.Empty, text.Length));
            return tokens;
        }
    }
}
