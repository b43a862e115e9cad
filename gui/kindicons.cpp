#include "kindicons.h"

#include <QPainter>
#include <QPainterPath>
#include <QPixmap>

namespace Hamlet {

namespace {
const QColor ApartmentColor(0x3b, 0x7d, 0xd8);
const QColor HouseColor(0xd9, 0x6c, 0x2b);
const QColor WindowColor(0xff, 0xf4, 0xc9);

// Draws an apartment block filling rect: a tall box with a grid of windows.
void drawApartment(QPainter &painter, const QRectF &rect)
{
    painter.setPen(QPen(ApartmentColor.darker(140), rect.width() / 24.0));
    painter.setBrush(ApartmentColor);
    const QRectF block = rect.adjusted(rect.width() * 0.15, rect.height() * 0.05, -rect.width() * 0.15, 0);
    painter.drawRect(block);
    painter.setPen(Qt::NoPen);
    painter.setBrush(WindowColor);
    const double w = block.width() / 7.0;
    const double h = block.height() / 9.0;
    for (int row = 0; row < 3; ++row)
        for (int column = 0; column < 3; ++column)
            painter.drawRect(QRectF(block.left() + w * (1 + 2 * column), block.top() + h * (1 + 2 * row), w, h));
    painter.setBrush(ApartmentColor.darker(160));
    painter.drawRect(QRectF(block.center().x() - w / 2, block.bottom() - h * 1.8, w, h * 1.8));
}

// Draws a house filling rect: a roof over a square with a door and a window.
void drawHouse(QPainter &painter, const QRectF &rect)
{
    const double penWidth = rect.width() / 24.0;
    const QRectF body(rect.left() + rect.width() * 0.18, rect.top() + rect.height() * 0.45, rect.width() * 0.64,
                      rect.height() * 0.55);
    painter.setPen(QPen(HouseColor.darker(140), penWidth));
    painter.setBrush(HouseColor);
    painter.drawRect(body);
    QPainterPath roof;
    roof.moveTo(rect.left() + rect.width() * 0.05, body.top());
    roof.lineTo(rect.center().x(), rect.top() + rect.height() * 0.08);
    roof.lineTo(rect.right() - rect.width() * 0.05, body.top());
    roof.closeSubpath();
    painter.setBrush(HouseColor.darker(150));
    painter.drawPath(roof);
    painter.setPen(Qt::NoPen);
    painter.setBrush(WindowColor);
    painter.drawRect(QRectF(body.left() + body.width() * 0.12, body.top() + body.height() * 0.2, body.width() * 0.3,
                            body.height() * 0.3));
    painter.setBrush(HouseColor.darker(170));
    painter.drawRect(QRectF(body.left() + body.width() * 0.58, body.top() + body.height() * 0.4, body.width() * 0.26,
                            body.height() * 0.6));
}

template <typename Draw> QIcon render(Draw draw)
{
    QIcon icon;
    for (const int size : {16, 22, 24, 32, 48, 64, 128, 256}) {
        QPixmap pixmap(size, size);
        pixmap.fill(Qt::transparent);
        QPainter painter(&pixmap);
        painter.setRenderHint(QPainter::Antialiasing);
        draw(painter, QRectF(0, 0, size, size));
        painter.end();
        icon.addPixmap(pixmap);
    }
    return icon;
}
} // namespace

QIcon KindIcons::apartment()
{
    static const QIcon icon = render([](QPainter &painter, const QRectF &rect) { drawApartment(painter, rect); });
    return icon;
}

QIcon KindIcons::house()
{
    static const QIcon icon = render([](QPainter &painter, const QRectF &rect) { drawHouse(painter, rect); });
    return icon;
}

QIcon KindIcons::forKind(const QString &kind)
{
    return kind == QLatin1String("vm") ? house() : apartment();
}

QIcon KindIcons::application()
{
    static const QIcon icon = render([](QPainter &painter, const QRectF &rect) {
        const double half = rect.width() / 2;
        drawApartment(painter, QRectF(rect.left(), rect.top(), half * 1.05, rect.height()));
        drawHouse(
            painter,
            QRectF(rect.left() + half * 0.95, rect.top() + rect.height() * 0.35, half * 1.05, rect.height() * 0.65));
    });
    return icon;
}

} // namespace Hamlet
