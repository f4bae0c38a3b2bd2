namespace ProtocolSim.Audio.Tests;

public sealed class G711Tests
{
    private static readonly short[] AllSamples = Enumerable.Range(short.MinValue, 65536).Select(i => (short)i).ToArray();
    private static readonly byte[] AllCodes = Enumerable.Range(0, 256).Select(i => (byte)i).ToArray();

    [Theory]
    [InlineData("mu-law")]
    [InlineData("a-law")]
    public void Encode_AllSixteenBitValues_MatchSoxBitExact(string encoding)
    {
        var expected = Sox.EncodeG711(AllSamples, encoding);
        var actual = encoding == "mu-law" ? G711.EncodeMuLaw(AllSamples) : G711.EncodeALaw(AllSamples);
        Assert.Equal(AllSamples.Length, expected.Length);
        var mismatches = Enumerable.Range(0, AllSamples.Length).Where(i => expected[i] != actual[i]).ToList();
        Assert.True(
            mismatches.Count == 0,
            $"{mismatches.Count} of 65536 {encoding} codes differ from sox; first: "
            + string.Join(", ", mismatches.Take(5).Select(i => $"sample {AllSamples[i]}: ours 0x{actual[i]:X2}, sox 0x{expected[i]:X2}")));
    }

    [Theory]
    [InlineData("mu-law")]
    [InlineData("a-law")]
    public void Decode_All256Codes_MatchSoxBitExact(string encoding)
    {
        var expected = Sox.DecodeG711(AllCodes, encoding);
        var actual = encoding == "mu-law" ? G711.DecodeMuLaw(AllCodes) : G711.DecodeALaw(AllCodes);
        Assert.Equal(expected, actual);
    }

    [Fact]
    public void LinearToMuLaw_KnownValues_MatchG711Tables()
    {
        Assert.Equal(0xFF, G711.LinearToMuLaw(0));
        Assert.Equal(0x80, G711.LinearToMuLaw(short.MaxValue));
        Assert.Equal(0x00, G711.LinearToMuLaw(short.MinValue));
        Assert.Equal(0, G711.MuLawToLinear(0xFF));
        Assert.Equal(32124, G711.MuLawToLinear(0x80));
        Assert.Equal(-32124, G711.MuLawToLinear(0x00));
    }

    [Fact]
    public void LinearToALaw_KnownValues_MatchG711Tables()
    {
        Assert.Equal(0xD5, G711.LinearToALaw(0));
        Assert.Equal(0x55, G711.LinearToALaw(-8));
        Assert.Equal(0xAA, G711.LinearToALaw(short.MaxValue));
        Assert.Equal(0x2A, G711.LinearToALaw(short.MinValue));
        Assert.Equal(8, G711.ALawToLinear(0xD5));
        Assert.Equal(32256, G711.ALawToLinear(0xAA));
        Assert.Equal(-32256, G711.ALawToLinear(0x2A));
    }

    [Fact]
    public void EncodeDecode_EveryCode_IsStableAfterOneRoundTrip()
    {
        // Re-encoding a decoded value must give the same code (the decoder's values lie inside their own segments).
        foreach (var code in AllCodes)
        {
            var mu = G711.MuLawToLinear(code);
            var muCode = G711.LinearToMuLaw(mu);
            Assert.Equal(mu, G711.MuLawToLinear(muCode));
            Assert.Equal(code, G711.LinearToALaw(G711.ALawToLinear(code)));
        }
    }

    [Fact]
    public void EncodeMuLaw_Speechlike_SignalToNoiseAbove35Db()
    {
        var signal = Signals.Sweep(8000, 1, 0.5, 100, 3400);

        var decoded = G711.DecodeMuLaw(G711.EncodeMuLaw(signal));
        var decodedA = G711.DecodeALaw(G711.EncodeALaw(signal));

        Assert.True(Snr(signal, decoded) > 35, $"mu-law SNR {Snr(signal, decoded):F1} dB");
        Assert.True(Snr(signal, decodedA) > 35, $"A-law SNR {Snr(signal, decodedA):F1} dB");
    }

    [Fact]
    public void EncodeSpans_MatchPerSampleFunctions()
    {
        var mu = G711.EncodeMuLaw(AllSamples);
        var a = G711.EncodeALaw(AllSamples);
        for (var i = 0; i < AllSamples.Length; i += 7)
        {
            Assert.Equal(G711.LinearToMuLaw(AllSamples[i]), mu[i]);
            Assert.Equal(G711.LinearToALaw(AllSamples[i]), a[i]);
        }

        Assert.Empty(G711.EncodeMuLaw([]));
        Assert.Empty(G711.DecodeALaw([]));
    }

    private static double Snr(short[] reference, short[] test)
    {
        double signal = 0, noise = 0;
        for (var i = 0; i < reference.Length; i++)
        {
            signal += (double)reference[i] * reference[i];
            noise += (double)(reference[i] - test[i]) * (reference[i] - test[i]);
        }

        return 10 * Math.Log10(signal / noise);
    }
}
