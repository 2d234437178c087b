// Rules screens (docs/CONSOLE.md "Rules").
import { el, clear, message } from './dom.js';

export async function rulesScreen(main) {
  clear(main, el('h1', { tabindex: '-1' }, 'Rules'), message('warn', 'The rules screens are not built yet: use the Rules API (README "Rules").'));
}
