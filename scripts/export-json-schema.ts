// Writes schemas/messages/*.json from the zod contracts. CI's drift test compares the committed files
// with this output, so run it after changing anything in src/contracts.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { toJsonSchemas } from '../src/contracts/index.ts';

const dir = join(import.meta.dirname, '..', 'schemas', 'messages');
for (const [file, schema] of Object.entries(toJsonSchemas())) {
  writeFileSync(join(dir, file), `${JSON.stringify(schema, null, 2)}\n`);
  console.log(`wrote schemas/messages/${file}`);
}
