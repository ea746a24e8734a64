// examples/hello/hello.ts — run it: npx ferry run examples/hello/hello.ts --name world
import { defineJob, RetryableError } from 'ferry';
import { runMain } from 'ferry/cli';

const job = defineJob({
  name: 'hello',
  version: '1.0.0',
  description: 'greets, slowly',
  config: {
    name: { type: 'string', required: true, description: 'who to greet', example: 'world' },
    times: { type: 'int', default: 3, min: 1, description: 'how many greetings' },
    apiKey: { type: 'string', secret: true, description: 'never printed' },
  },
  async run(ctx) {
    // ctx.config is typed from the schema: times is a number
    for (let i = 1; i <= ctx.config.times; i++) {
      ctx.throwIfCancelled(); // SIGINT/SIGTERM → exit 130
      ctx.log.info(`hello, ${ctx.config.name}`, { i });
      ctx.progress('greeting', i, ctx.config.times);
    }
    if (ctx.config.name === 'flaky') throw new RetryableError('try again later'); // exit 75
  },
});
export default job;
if (import.meta.main) await runMain(job);
