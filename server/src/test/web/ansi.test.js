// ANSI SGR parsing (js/ansi.js): what Terraform prints becomes styled segments, and anything else stays text.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { parseAnsi } from '../../main/resources/web/js/ansi.js';

const ESC = '\x1b';
const sgr = (params) => `${ESC}[${params}m`;

describe('parseAnsi', () => {
  it('gives a plain line as one unstyled segment, and an empty line as none', () => {
    assert.deepEqual(parseAnsi('Plan: 1 to add, 0 to change, 0 to destroy.'),
      [{ text: 'Plan: 1 to add, 0 to change, 0 to destroy.' }]);
    assert.deepEqual(parseAnsi(''), []);
  });

  it('maps the 16 colours to palette indexes 0-15, foreground and background', () => {
    assert.deepEqual(parseAnsi(`${sgr('31')}red${sgr('0')} plain`), [{ text: 'red', fg: 1 }, { text: ' plain' }]);
    assert.deepEqual(parseAnsi(`${sgr('30')}a${sgr('37')}b${sgr('90')}c${sgr('97')}d`),
      [{ text: 'a', fg: 0 }, { text: 'b', fg: 7 }, { text: 'c', fg: 8 }, { text: 'd', fg: 15 }]);
    assert.deepEqual(parseAnsi(`${sgr('42')}a${sgr('47')}b${sgr('100')}c${sgr('107')}d`),
      [{ text: 'a', bg: 2 }, { text: 'b', bg: 7 }, { text: 'c', bg: 8 }, { text: 'd', bg: 15 }]);
  });

  it('combines codes in one sequence and keeps a style until it is changed', () => {
    // What Terraform prints for a created resource: bold green "+", then a reset.
    assert.deepEqual(parseAnsi(`  ${sgr('32;1')}+${sgr('0')} resource "terraform_data" "x" {`),
      [{ text: '  ' }, { text: '+', fg: 2, bold: true }, { text: ' resource "terraform_data" "x" {' }]);
    assert.deepEqual(parseAnsi(`${sgr('1')}bold ${sgr('34')}and blue`),
      [{ text: 'bold ', bold: true }, { text: 'and blue', bold: true, fg: 4 }]);
  });

  it('maps 256-colour codes: the first 16 to the palette, the cube and the grey ramp to hex', () => {
    assert.deepEqual(parseAnsi(`${sgr('38;5;9')}x`), [{ text: 'x', fg: 9 }]);
    assert.deepEqual(parseAnsi(`${sgr('38;5;16')}x`), [{ text: 'x', fg: '#000000' }]);
    assert.deepEqual(parseAnsi(`${sgr('38;5;196')}x`), [{ text: 'x', fg: '#ff0000' }]);
    assert.deepEqual(parseAnsi(`${sgr('48;5;21')}x`), [{ text: 'x', bg: '#0000ff' }]);
    assert.deepEqual(parseAnsi(`${sgr('38;5;110')}x`), [{ text: 'x', fg: '#87afd7' }]);
    assert.deepEqual(parseAnsi(`${sgr('38;5;231')}x`), [{ text: 'x', fg: '#ffffff' }]);
    assert.deepEqual(parseAnsi(`${sgr('38;5;232')}x`), [{ text: 'x', fg: '#080808' }]);
    assert.deepEqual(parseAnsi(`${sgr('48;5;255')}x`), [{ text: 'x', bg: '#eeeeee' }]);
  });

  it('maps true colour to hex, with ; or : between the parts, clamping what is out of range', () => {
    assert.deepEqual(parseAnsi(`${sgr('38;2;255;128;0')}x`), [{ text: 'x', fg: '#ff8000' }]);
    assert.deepEqual(parseAnsi(`${sgr('48:2:1:2:3')}x`), [{ text: 'x', bg: '#010203' }]);
    assert.deepEqual(parseAnsi(`${sgr('38;2;300;0;0')}x`), [{ text: 'x', fg: '#ff0000' }]);
  });

  it('reads the codes after an extended colour in the same sequence', () => {
    assert.deepEqual(parseAnsi(`${sgr('38;2;0;0;255;1;48;5;1')}x`), [{ text: 'x', fg: '#0000ff', bold: true, bg: 1 }]);
  });

  it('sets and resets bold, dim, italic and underline', () => {
    assert.deepEqual(parseAnsi(`${sgr('1;2;3;4')}all${sgr('22')}no weight${sgr('23')}upright${sgr('24')}plain`), [
      { text: 'all', bold: true, dim: true, italic: true, underline: true },
      { text: 'no weight', italic: true, underline: true },
      { text: 'upright', underline: true },
      { text: 'plain' },
    ]);
  });

  it('resets everything with 0 or an empty sequence, and one colour with 39 or 49', () => {
    assert.deepEqual(parseAnsi(`${sgr('1;31;42')}a${sgr('')}b`), [{ text: 'a', bold: true, fg: 1, bg: 2 }, { text: 'b' }]);
    assert.deepEqual(parseAnsi(`${sgr('1;31;42')}a${sgr('39')}b${sgr('49')}c`),
      [{ text: 'a', bold: true, fg: 1, bg: 2 }, { text: 'b', bold: true, bg: 2 }, { text: 'c', bold: true }]);
    assert.deepEqual(parseAnsi(`${sgr('31;0;4')}x`), [{ text: 'x', underline: true }], 'a reset mid-sequence');
  });

  it('starts every line unstyled: a style left open on one line does not reach the next', () => {
    assert.deepEqual(parseAnsi(`${sgr('31')}open`), [{ text: 'open', fg: 1 }]);
    assert.deepEqual(parseAnsi('next line'), [{ text: 'next line' }]);
  });

  it('drops other escape sequences (cursor moves, erase, private modes) whole, keeping the text around them', () => {
    assert.deepEqual(parseAnsi(`a${ESC}[2Kb${ESC}[1;1Hc${ESC}7d${ESC}[?25le`),
      [{ text: 'a' }, { text: 'b' }, { text: 'c' }, { text: 'd' }, { text: 'e' }]);
    assert.deepEqual(parseAnsi(`${sgr('31')}a${ESC}[2Jb`), [{ text: 'a', fg: 1 }, { text: 'b', fg: 1 }], 'keeps the colour');
  });

  it('reads `tput` colours: the charset escape of sgr0 is dropped and its empty SGR resets', () => {
    assert.deepEqual(parseAnsi(`${ESC}[1m${ESC}[31mError${ESC}(B${ESC}[m: done`),
      [{ text: 'Error', bold: true, fg: 1 }, { text: ': done' }]);
  });

  it('drops operating system commands (titles, hyperlinks) up to BEL, ST, the next escape or the end', () => {
    assert.deepEqual(parseAnsi(`${ESC}]0;my title\x07text`), [{ text: 'text' }]);
    assert.deepEqual(parseAnsi(`${ESC}]8;;https://example.test/${ESC}\\link${ESC}]8;;${ESC}\\ after`),
      [{ text: 'link' }, { text: ' after' }]);
    assert.deepEqual(parseAnsi(`${ESC}]2;unterminated${sgr('32')}green`), [{ text: 'green', fg: 2 }]);
    assert.deepEqual(parseAnsi(`before${ESC}]0;cut at the end`), [{ text: 'before' }]);
  });

  it('applies no colour from a sequence that is not SGR though it ends in m', () => {
    assert.deepEqual(parseAnsi(`${ESC}[?31mx`), [{ text: 'x' }], 'private parameters');
    assert.deepEqual(parseAnsi(`${ESC}[31 mx`), [{ text: 'x' }], 'an intermediate byte');
  });

  it('ignores malformed and unknown codes without losing text', () => {
    assert.deepEqual(parseAnsi(`${sgr('38;5')}x`), [{ text: 'x' }], '256-colour code without its number');
    assert.deepEqual(parseAnsi(`${sgr('38;2;1;2')}x`), [{ text: 'x' }], 'true colour short of a part');
    assert.deepEqual(parseAnsi(`${sgr('38;7;1')}x`), [{ text: 'x' }], 'an unknown colour kind takes the rest');
    assert.deepEqual(parseAnsi(`${sgr('5;53;31')}x`), [{ text: 'x', fg: 1 }], 'blink and overline are not shown');
    assert.deepEqual(parseAnsi(`${sgr(';1')}x`), [{ text: 'x', bold: true }], 'an empty code is 0');
    assert.deepEqual(parseAnsi('[31mno escape'), [{ text: '[31mno escape' }]);
  });

  it('drops a sequence cut at the end of a line, keeping the text before it', () => {
    assert.deepEqual(parseAnsi(`${sgr('32')}ok${ESC}[3`), [{ text: 'ok', fg: 2 }]);
    assert.deepEqual(parseAnsi(`cut${ESC}[`), [{ text: 'cut' }]);
    assert.deepEqual(parseAnsi(`cut${ESC}`), [{ text: 'cut' }]);
    assert.deepEqual(parseAnsi(`${sgr('1')}bold${ESC}[38;2;10`), [{ text: 'bold', bold: true }], 'true colour cut short');
  });

  it('keeps markup as text: segments are data, never HTML', () => {
    assert.deepEqual(parseAnsi(`${sgr('31')}<img src=x onerror=alert(1)>`), [{ text: '<img src=x onerror=alert(1)>', fg: 1 }]);
  });
});
