import { serviceColor } from './colors';
import { LanguageBadge } from './LanguageBadge';

/** A service as shown everywhere: colour swatch, language badge, name. */
export function ServiceTag({ name, language, count }: { name: string; language?: string; count?: number }) {
  return (
    <span class="service-tag" data-service={name}>
      <span class="swatch" style={{ background: serviceColor(name) }} />
      <LanguageBadge language={language} />
      <span class="service-name">{name}</span>
      {count !== undefined && <span class="muted"> ×{count}</span>}
    </span>
  );
}
