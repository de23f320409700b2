import { Dotprompt } from 'dotprompt';
import { checkTemplate, compileTemplate } from './template-engine';

/** What dotprompt itself renders, as Flotilla chat messages (text parts joined, trimmed). */
async function viaDotprompt(template: string, input: Record<string, unknown>) {
  const rendered = await new Dotprompt().render(template, { input });
  const roles: Record<string, string> = { model: 'assistant' };
  return rendered.messages
    .map((m) => ({ role: roles[m.role] ?? m.role, content: m.content.map((p) => ('text' in p ? p.text : '')).join('').trim() }))
    .filter((m) => m.content);
}

describe('templates: dotprompt\'s Handlebars, used synchronously', () => {
  it.each([
    ['plain', 'Hello {{name}}!', { name: 'Ada' }],
    ['roles', '{{role "system"}}\nYou are terse.\n{{role "user"}}\nSummarise: {{text}}', { text: 'a <b> & "c"' }],
    ['each / if / json', '{{#each items}}- {{this.name}}{{#if this.done}} (done){{/if}}\n{{/each}}{{json meta}}', { items: [{ name: 'a', done: true }, { name: 'b' }], meta: { k: [1, 2] } }],
    ['ifEquals', '{{#ifEquals kind "bug"}}Fix it{{else}}Triage it{{/ifEquals}}', { kind: 'bug' }],
    ['model turn', 'Q1{{role "model"}}A1{{role "user"}}Q2', {}],
  ])('renders what Dotprompt.render renders: %s', async (_label, template, input) => {
    expect(compileTemplate(template).messages(input)).toEqual(await viaDotprompt(template, input));
  });

  it('does not escape HTML (prompts are not HTML)', () => {
    expect(compileTemplate('{{x}}').text({ x: '<a & b>' })).toBe('<a & b>');
  });

  it('reads own properties only: no prototype, constructor or function access', () => {
    const t = compileTemplate('[{{constructor}}][{{x.constructor.name}}][{{x.__proto__}}][{{lookup x "toString"}}]');
    expect(t.text({ x: {} })).toBe('[][][][]');
  });

  it('refuses helpers it does not know, partials and the log helper at check time', () => {
    expect(checkTemplate('{{exec "rm -rf /"}}')?.message).toMatch(/unknown helper "exec"/);
    expect(checkTemplate('line one\n{{#each x}}{{log this}}{{/each}}')).toMatchObject({ line: 2 });
    expect(checkTemplate('{{> header}}')?.message).toContain('partials');
    expect(checkTemplate('{{history}}')?.message).toContain('not supported');
    expect(checkTemplate('{{#if x}}open')?.message).toContain('does not parse');
    expect(checkTemplate('{{#each steps}}{{inc @index}}. {{title}}{{/each}}')).toBeUndefined();
  });

  it('a template that does not parse says what is wrong, not only where', () => {
    expect(checkTemplate('Hello {{#if x}}open')).toEqual({ message: 'template does not parse: a block is not closed: {{#if}} needs its {{/if}}', line: 1 });
    expect(checkTemplate('one\nHello {{name}')).toEqual({ message: 'template does not parse: a tag is not closed: expected }} after {{', line: 2 });
    expect(checkTemplate('{{/each}}')?.message).toBe('template does not parse: a closing {{/...}} has no opening {{#...}} before it');
    expect(checkTemplate('{{#if a}}x{{/each}}')?.message).toBe('template does not parse: {{#if}} is closed by {{/each}}; close the inner block first');
    expect(checkTemplate('{{ }}')?.message).toBe('template does not parse: an empty tag: expected a name between {{ and }}');
  });
});

