import { byteSizeSchema, parseByteSize } from './byte-size';

describe('parseByteSize', () => {
  it.each([
    ['512B', 512],
    ['256KiB', 262_144],
    ['64MiB', 67_108_864],
    ['1GiB', 1_073_741_824],
    ['65536', 65_536],
    [' 4 KiB ', 4096],
  ])('parses %j as %d bytes', (input, bytes) => {
    expect(parseByteSize(input)).toBe(bytes);
  });

  it('takes a number as bytes', () => {
    expect(parseByteSize(2048)).toBe(2048);
  });

  it.each(['1.5MiB', '10MB', 'lots', '', '-1'])('refuses %j, with examples', (input) => {
    expect(() => parseByteSize(input)).toThrow('is not a size (examples: 65536, 256KiB, 64MiB, 1GiB)');
  });

  it('refuses a fractional number of bytes', () => {
    expect(() => parseByteSize(1.5)).toThrow('1.5 is not a whole number of bytes');
  });

  it('refuses a long text without matching it', () => {
    expect(() => parseByteSize(' '.repeat(100_000) + '1')).toThrow('is not a size');
  });
});

describe('byteSizeSchema', () => {
  const schema = byteSizeSchema(1024, 1024 ** 2);

  it('gives bytes within its range', () => {
    expect(schema.parse('1MiB')).toBe(1_048_576);
  });

  it('names the range when a size is outside it', () => {
    expect(schema.safeParse('2MiB').error?.issues[0].message).toBe('must be from 1024 to 1048576 bytes; got 2097152');
  });
});
