import { names } from '@nx/devkit';
import { FlotillaError } from '@flotilla/core';

/** The name forms every generator needs, from one user-given name ("code-reviewer", "CodeReviewer"). */
export interface NameForms {
  /** kebab-case, for files and agent names: code-reviewer */
  fileName: string;
  /** PascalCase, for classes: CodeReviewer */
  className: string;
  /** camelCase: codeReviewer */
  propertyName: string;
}

export function nameForms(raw: unknown, option = 'name'): NameForms {
  if (typeof raw !== 'string' || !/^[A-Za-z][A-Za-z0-9-_ ]*$/.test(raw.trim())) {
    throw new FlotillaError('config', `--${option}: expected a name starting with a letter (letters, digits, - and _), got ${JSON.stringify(raw)}`);
  }
  const n = names(raw.trim());
  return { fileName: n.fileName, className: n.className, propertyName: n.propertyName };
}
