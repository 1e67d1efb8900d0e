// Many lazy responses of a multiplexed sync Session, filled in by one gather() (stress.test.ts).
import { Session } from '../../../dist/src/index.js';

export default function gather({ base, count }, progress) {
  const s = new Session({ multiplexed: true });
  try {
    progress(`${count} lazy requests`);
    const rs = Array.from({ length: count }, (_, i) => s.get(`${base}/gather/${i}`));
    progress('gathering');
    s.gather();
    progress('gathered');
    const wrong = rs.flatMap((r, i) => (r.statusCode === 200 && r.text === `ok /gather/${i}` ? [] : [{ i, status: r.statusCode, text: r.text }]));
    return { responses: rs.length, wrong: wrong.length, firstWrong: wrong.slice(0, 5) };
  } finally {
    s.close();
  }
}
