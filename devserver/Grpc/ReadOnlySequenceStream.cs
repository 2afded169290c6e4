using System.Buffers;

namespace MaintenanceWorkflows.DevServer.Grpc;

/// <summary>A read-only, forward-only stream over a byte sequence, so a request frame is inflated without copying it first.</summary>
internal sealed class ReadOnlySequenceStream : Stream
{
    private ReadOnlySequence<byte> remaining;

    public ReadOnlySequenceStream(ReadOnlySequence<byte> sequence) => remaining = sequence;

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        var n = (int)Math.Min(buffer.Length, remaining.Length);
        remaining.Slice(0, n).CopyTo(buffer);
        remaining = remaining.Slice(n);
        return n;
    }

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
