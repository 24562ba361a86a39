import { canonicalKey, isPlainObject, type Doc } from './documents';
import { CommandError, notSupported } from './errors';
import type { StringComparer } from './values';

/**
 * Collations, with Node's ICU (Intl.Collator) standing in for mongod's. Only what maps exactly onto
 * Intl.Collator is accepted; the rest (strength 4–5, caseLevel with strength 2+, backwards,
 * normalization, maxVariable "space", locales Node's ICU lacks) is refused rather than approximated.
 */
const FIELDS = new Set(['locale', 'caseLevel', 'caseFirst', 'strength', 'numericOrdering', 'alternate', 'maxVariable', 'normalization', 'backwards', 'version']);

const cache = new Map<string, StringComparer>();

function invalid(message: string): CommandError {
  return new CommandError('BadValue', message);
}

/** The string comparer of a `collation` document; undefined for none or `{ locale: "simple" }`. */
export function parseCollation(raw: unknown): StringComparer {
  if (raw === undefined || raw === null) return undefined;
  if (!isPlainObject(raw)) throw new CommandError('TypeMismatch', "BSON field 'collation' is the wrong type, expected type 'object'");
  const key = canonicalKey(raw);
  if (cache.has(key)) return cache.get(key);
  const comparer = buildComparer(raw);
  cache.set(key, comparer);
  return comparer;
}

function buildComparer(spec: Doc): StringComparer {
  const unknown = Object.keys(spec).find((field) => !FIELDS.has(field));
  if (unknown) throw new CommandError('Location40415', `BSON field 'collation.${unknown}' is an unknown field.`);
  const { locale } = spec;
  if (typeof locale !== 'string') throw new CommandError('Location40414', "BSON field 'collation.locale' is missing but a required field");
  if (locale === 'simple') return undefined;
  const tag = locale.replace(/_/g, '-').replace(/@.*$/, '');
  if (locale.includes('@') || Intl.Collator.supportedLocalesOf([tag]).length === 0) throw notSupported(`collation locale '${locale}'`);
  const strength = spec.strength === undefined ? 3 : Number(spec.strength);
  if (![1, 2, 3, 4, 5].includes(strength)) throw invalid(`unable to parse collation :: caused by :: Field 'strength' must be an integer 1 through 5. Got: ${String(spec.strength)}`);
  if (strength > 3) throw notSupported(`collation strength ${strength}`);
  const caseLevel = spec.caseLevel === true;
  if (caseLevel && strength !== 1) throw notSupported('collation caseLevel with strength above 1');
  if (spec.backwards === true) throw notSupported('collation backwards');
  if (spec.normalization === true) throw notSupported('collation normalization');
  const alternate = spec.alternate ?? 'non-ignorable';
  if (alternate !== 'non-ignorable' && alternate !== 'shifted') throw invalid(`Field 'alternate' must be 'non-ignorable' or 'shifted'. Got: ${String(alternate)}`);
  if (alternate === 'shifted' && spec.maxVariable === 'space') throw notSupported("collation maxVariable 'space'");
  const caseFirst = spec.caseFirst ?? 'off';
  if (caseFirst !== 'off' && caseFirst !== 'upper' && caseFirst !== 'lower') throw invalid(`Field 'caseFirst' must be 'upper', 'lower' or 'off'. Got: ${String(caseFirst)}`);
  const sensitivity = strength === 1 ? (caseLevel ? 'case' : 'base') : strength === 2 ? 'accent' : 'variant';
  const collator = new Intl.Collator(tag, {
    usage: 'sort',
    sensitivity,
    caseFirst: caseFirst === 'off' ? 'false' : caseFirst,
    numeric: spec.numericOrdering === true,
    ignorePunctuation: alternate === 'shifted',
  });
  return (a: string, b: string) => collator.compare(a, b);
}
