using System.Globalization;
using System.Text;

namespace ProtocolSim.Core;

/// <summary>Raw bytes as a person reads them in reports and the dashboard: offset, 16 bytes in hex, and ASCII.</summary>
public static class HexDump
{
    /// <summary>The first <paramref name="max"/> bytes as hex dump lines, and a line saying how many were left out.</summary>
    public static string Format(ReadOnlySpan<byte> bytes, int max = 256)
    {
        var shown = bytes[..Math.Min(bytes.Length, max)];
        var sb = new StringBuilder();
        for (var offset = 0; offset < shown.Length; offset += 16)
        {
            var line = shown[offset..Math.Min(offset + 16, shown.Length)];
            sb.Append(CultureInfo.InvariantCulture, $"{offset:x4}  ");
            for (var i = 0; i < 16; i++)
            {
                sb.Append(i < line.Length ? line[i].ToString("x2", CultureInfo.InvariantCulture) + " " : "   ");
                if (i == 7)
                {
                    sb.Append(' ');
                }
            }

            sb.Append(" |");
            foreach (var b in line)
            {
                sb.Append(b is >= 0x20 and < 0x7f ? (char)b : '.');
            }

            sb.Append("|\n");
        }

        if (bytes.Length > max)
        {
            sb.Append(CultureInfo.InvariantCulture, $"… (first {max:N0} of {bytes.Length:N0} bytes shown)\n");
        }

        return sb.ToString();
    }
}
