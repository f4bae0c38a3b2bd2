using System.Collections;
using System.Globalization;
using System.Text;

namespace ProtocolSim.Conformance;

/// <summary>
/// A Gherkin data table: the first row is the header, the others are <see cref="Rows"/> indexed by column name.
/// Mirrors Reqnroll's <c>DataTable</c> closely enough for step definitions to move there unchanged.
/// </summary>
public sealed class DataTable
{
    private readonly List<string> _header;
    private readonly List<DataTableRow> _rows = [];

    public DataTable(params string[] header)
    {
        ArgumentNullException.ThrowIfNull(header);
        if (header.Length == 0)
        {
            throw new ArgumentException("a table needs at least one column", nameof(header));
        }

        var duplicate = header.GroupBy(h => h, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
        {
            throw new ArgumentException($"column '{duplicate.Key}' appears twice in the header", nameof(header));
        }

        _header = [.. header];
    }

    /// <summary>The column names, in order.</summary>
    public IReadOnlyList<string> Header => _header;

    /// <summary>The rows after the header.</summary>
    public IReadOnlyList<DataTableRow> Rows => _rows;

    public int RowCount => _rows.Count;

    public bool ContainsColumn(string column) => _header.Contains(column, StringComparer.Ordinal);

    /// <summary>Adds a row; it must have one value per column.</summary>
    public DataTableRow AddRow(params string[] values)
    {
        ArgumentNullException.ThrowIfNull(values);
        if (values.Length != _header.Count)
        {
            throw new ArgumentException($"the row has {values.Length} cells but the table has {_header.Count} columns", nameof(values));
        }

        var row = new DataTableRow(this, values);
        _rows.Add(row);
        return row;
    }

    internal int IndexOf(string column) => _header.IndexOf(column);

    /// <summary>The table in Gherkin form.</summary>
    public override string ToString()
    {
        var all = new List<IReadOnlyList<string>> { _header };
        all.AddRange(_rows.Select(r => (IReadOnlyList<string>)r.Cells));
        var widths = _header.Select((_, i) => all.Max(r => Escape(r[i]).Length)).ToArray();
        var sb = new StringBuilder();
        foreach (var r in all)
        {
            sb.Append('|');
            for (var i = 0; i < widths.Length; i++)
            {
                sb.Append(' ').Append(Escape(r[i]).PadRight(widths[i])).Append(" |");
            }

            sb.Append('\n');
        }

        return sb.ToString();
    }

    private static string Escape(string cell) =>
        cell.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("|", "\\|", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal);
}

/// <summary>One row of a <see cref="DataTable"/>, indexed by column name or position.</summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Naming", "CA1710:Identifiers should have correct suffix", Justification = "Same name as Reqnroll's DataTableRow, so step definitions move unchanged.")]
public sealed class DataTableRow : IReadOnlyDictionary<string, string>
{
    private readonly DataTable _table;
    private readonly string[] _cells;

    internal DataTableRow(DataTable table, string[] cells)
    {
        _table = table;
        _cells = cells;
    }

    /// <summary>The cells in column order.</summary>
    public IReadOnlyList<string> Cells => _cells;

    public IEnumerable<string> Keys => _table.Header;

    public IEnumerable<string> Values => _cells;

    public int Count => _cells.Length;

    /// <summary>The cell in the named column; throws naming the columns that exist when there is no such column.</summary>
    public string this[string key]
    {
        get
        {
            var i = _table.IndexOf(key);
            if (i < 0)
            {
                throw new KeyNotFoundException($"the table has no column '{key}' (columns: {string.Join(", ", _table.Header)})");
            }

            return _cells[i];
        }
    }

    public string this[int index] => _cells[index];

    public bool ContainsKey(string key) => _table.IndexOf(key) >= 0;

    public bool TryGetValue(string key, out string value)
    {
        var i = _table.IndexOf(key);
        value = i >= 0 ? _cells[i] : string.Empty;
        return i >= 0;
    }

    public string GetString(string column) => this[column];

    public int GetInt32(string column) => Get<int>(column);

    public long GetInt64(string column) => Get<long>(column);

    public double GetDouble(string column) => Get<double>(column);

    public decimal GetDecimal(string column) => Get<decimal>(column);

    public bool GetBoolean(string column) => Get<bool>(column);

    public TimeSpan GetTimeSpan(string column) => Get<TimeSpan>(column);

    public TEnum GetEnum<TEnum>(string column)
        where TEnum : struct, Enum => Get<TEnum>(column);

    /// <summary>Converts the cell with the step-argument rules (invariant culture, "300 ms", enums by name).</summary>
    public T Get<T>(string column)
    {
        var text = this[column];
        if (!ArgumentConverter.TryConvert(text, typeof(T), out var value, out var error))
        {
            throw new FormatException(string.Create(CultureInfo.InvariantCulture, $"column '{column}': {error}"));
        }

        return (T)value!;
    }

    public IEnumerator<KeyValuePair<string, string>> GetEnumerator()
    {
        for (var i = 0; i < _cells.Length; i++)
        {
            yield return new KeyValuePair<string, string>(_table.Header[i], _cells[i]);
        }
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
