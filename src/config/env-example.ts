import { describeSchema } from './describe.ts';
import type { ConfigSchema } from './options.ts';

/**
 * A `.env.example` from the schema: the description as a comment, the example as the
 * value. Secrets stay blank; optional options without an example are commented out.
 */
export function envExample(title: string, schema: ConfigSchema, prefix?: string): string {
  const { envFile: _self, ...options } = schema; // an env file does not name itself
  const blocks = describeSchema(options, prefix).map((doc) => {
    const notes = [
      doc.spec.required ? 'required' : 'optional',
      doc.spec.secret ? 'secret' : undefined,
      doc.default === undefined ? undefined : `default ${doc.default}`,
    ];
    const comment = `# ${doc.description} (${notes.filter(Boolean).join(', ')}; flag ${doc.flag})`;
    const value = doc.spec.secret ? '' : (doc.spec.example ?? doc.default ?? '');
    const commented = !doc.spec.required && (doc.spec.secret || doc.spec.example === undefined);
    return `${comment}\n${commented ? '# ' : ''}${doc.env}=${quote(value)}`;
  });
  return `# ${title}\n# Copy to .env, fill in, and pass --env-file .env (flags and the environment win over it).\n\n${blocks.join('\n\n')}\n`;
}

function quote(value: string): string {
  return /[\s#"'$]/.test(value) ? `"${value.replace(/["\\]/g, '\\$&')}"` : value;
}
