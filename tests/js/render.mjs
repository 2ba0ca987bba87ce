// The suite's look at hmsync's Markdown, as GitHub would show it: every document rendered to
// HTML by markdown-it (CommonMark, with GitHub's tables and strikethrough, raw HTML let
// through as GitHub lets <details> through), and every ```mermaid block parsed by Mermaid's
// own parser. Reads a JSON list of documents on stdin; writes a JSON list of
// {html, mermaid: [null | "the parser's error"]} on stdout.
import { JSDOM } from 'jsdom';
import MarkdownIt from 'markdown-it';

const dom = new JSDOM('<!doctype html><html><body></body></html>');
globalThis.window = dom.window;
globalThis.document = dom.window.document;
const { default: mermaid } = await import('mermaid');

const markdown = new MarkdownIt({ html: true, linkify: false });
const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const documents = JSON.parse(Buffer.concat(chunks).toString('utf8'));
const results = [];
for (const text of documents) {
  const tokens = markdown.parse(text, {});
  const diagrams = tokens.filter((t) => t.type === 'fence' && t.info.trim() === 'mermaid');
  const errors = [];
  for (const diagram of diagrams) {
    try {
      await mermaid.parse(diagram.content);
      errors.push(null);
    } catch (error) {
      errors.push(String(error.message || error).split('\n').slice(0, 3).join(' '));
    }
  }
  results.push({ html: markdown.renderer.render(tokens, markdown.options, {}), mermaid: errors });
}
process.stdout.write(JSON.stringify(results));
