// Decimal money on BigInt: amounts are exact strings in, exact strings out; never a float.

const TEN = 10n;

// "4150.00" -> { units: 415000n, scale: 2 }
export function decimal(text) {
  const s = String(text);
  const m = /^(-?)(\d+)(?:\.(\d+))?$/.exec(s);
  if (!m) throw new Error(`not a plain decimal: ${s}`);
  const frac = m[3] || "";
  const units = BigInt(m[2] + frac) * (m[1] ? -1n : 1n);
  return { units, scale: frac.length };
}

// numerator/denominator (positive BigInts) rounded to an integer by `rule`
function divide(numerator, denominator, rule) {
  const q = numerator / denominator;
  const twice = 2n * (numerator % denominator);
  if (twice > denominator) return q + 1n;
  if (twice < denominator) return q;
  if (rule === "half_up") return q + 1n;
  if (rule === "half_even") return q % 2n === 0n ? q : q + 1n;
  throw new Error(`unsupported rounding rule ${rule}`);
}

function format(units, scale) {
  const negative = units < 0n;
  const digits = (negative ? -units : units).toString().padStart(scale + 1, "0");
  const text = scale ? `${digits.slice(0, -scale)}.${digits.slice(-scale)}` : digits;
  return negative ? `-${text}` : text;
}

// minutes x hourly rate / 60, divided last, rounded once to `minor` decimals by `rule`
export function timeAmount(minutes, rateText, minor, rule) {
  const rate = decimal(rateText);
  const numerator = BigInt(minutes) * rate.units * TEN ** BigInt(minor);
  const denominator = 60n * TEN ** BigInt(rate.scale);
  return format(divide(numerator, denominator, rule), minor);
}

// a - b for two amounts of the same scale ("10.13" - "10.12" = "0.01")
export function subtract(a, b) {
  const x = decimal(a);
  const y = decimal(b);
  if (x.scale !== y.scale) throw new Error(`${a} and ${b} differ in scale`);
  return format(x.units - y.units, x.scale);
}

// minutes / 60 with six decimals (half even), as the invoice shows the quantity
export function hours(minutes) {
  return format(divide(BigInt(minutes) * 1000000n, 60n, "half_even"), 6);
}

// "110.10" in minor units of a currency with `minor` decimals: "11010" (exact, or an error)
export function minorUnits(text, minor) {
  const d = decimal(text);
  if (d.scale > minor) throw new Error(`${text} has more decimals than the currency`);
  return (d.units * TEN ** BigInt(minor - d.scale)).toString();
}
