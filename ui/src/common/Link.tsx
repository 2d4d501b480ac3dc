import type { ComponentChildren } from 'preact';
import { onLinkClick } from '../app/router';

export function Link(props: { href: string; class?: string; title?: string; children: ComponentChildren; testid?: string }) {
  return (
    <a href={props.href} class={props.class} title={props.title} data-testid={props.testid} onClick={(e) => onLinkClick(e, props.href)}>
      {props.children}
    </a>
  );
}
